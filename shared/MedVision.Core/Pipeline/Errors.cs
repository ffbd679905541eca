namespace MedVision.Core;

/// <summary>
/// Base of every expected failure. The exception's type name is what a Lambda reports as errorType, so
/// the state machine's Retry/Catch match on these names; <see cref="Code"/> is the stable API error code.
/// </summary>
public abstract class MedVisionException : Exception
{
    protected MedVisionException(string code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public string Code { get; }

    /// <summary>HTTP status an API handler answers with.</summary>
    public abstract int HttpStatus { get; }
}

/// <summary>Input that can never succeed: wrong format, corrupt pixels, bad metadata (HTTP 400).</summary>
public sealed class InvalidImageException(string code, string message, Exception? inner = null)
    : MedVisionException(code, message, inner)
{
    public override int HttpStatus => 400;
}

/// <summary>A well-formed request that is invalid (HTTP 400).</summary>
public sealed class ValidationException(string code, string message) : MedVisionException(code, message)
{
    public override int HttpStatus => 400;
}

/// <summary>Upload over the size limit (HTTP 413).</summary>
public sealed class PayloadTooLargeException(string message) : MedVisionException("image.too_large", message)
{
    public override int HttpStatus => 413;
}

/// <summary>A recognised image the pipeline cannot process yet (HTTP 415 / failed run, never retried).</summary>
public sealed class UnsupportedImageException(string code, string message) : MedVisionException(code, message)
{
    public override int HttpStatus => 415;
}

public sealed class NotFoundException(string code, string message) : MedVisionException(code, message)
{
    public override int HttpStatus => 404;
}

public sealed class ConflictException(string code, string message) : MedVisionException(code, message)
{
    public override int HttpStatus => 409;
}

/// <summary>A model endpoint is down, timed out or throttled: retried with backoff by the state machine.</summary>
public sealed class ModelUnavailableException(string message, Exception? inner = null)
    : MedVisionException("model.unavailable", message, inner)
{
    public override int HttpStatus => 503;
}

/// <summary>
/// A model answered with something outside its contract: retried by the state machine like an unavailable
/// endpoint (a model mid-rollout or a proxy's error page is usually transient; statemachines/analysis-pipeline.asl.json).
/// </summary>
public sealed class ModelOutputInvalidException(string message, Exception? inner = null)
    : MedVisionException("model.invalid_output", message, inner)
{
    public override int HttpStatus => 502;
}

/// <summary>A store failed transiently: retried by the state machine.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null)
    : MedVisionException("storage.unavailable", message, inner)
{
    public override int HttpStatus => 503;
}
