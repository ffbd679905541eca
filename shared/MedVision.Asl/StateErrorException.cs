namespace MedVision.Asl;

/// <summary>A named ASL error raised inside the interpreter (path failures, Choice without match, ...).</summary>
public sealed class StateErrorException : Exception
{
    public StateErrorException()
        : this(ErrorNames.Runtime, (string?)null)
    {
    }

    public StateErrorException(string message)
        : this(ErrorNames.Runtime, message)
    {
    }

    public StateErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = ErrorNames.Runtime;
        Cause = message;
    }

    public StateErrorException(string error, string? cause)
        : base(cause is null ? error : $"{error}: {cause}")
    {
        Error = error;
        Cause = cause;
    }

    public string Error { get; }

    public string? Cause { get; }

    internal static StateErrorException Runtime(string cause) => new(ErrorNames.Runtime, cause);
}
