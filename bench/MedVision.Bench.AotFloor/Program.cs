// What the bootstrap does when AWS_LAMBDA_RUNTIME_API is unset (one line to stderr, exit 2), with nothing else linked in.
Console.Error.WriteLine("aot-floor: the smallest Native AOT process, for scripts/bench.sh lambda");
return 2;
