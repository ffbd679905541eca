namespace MedVision.Local.Fhir;

/// <summary>A FHIR REST error: the HTTP status and the OperationOutcome issue code it is answered with.</summary>
public sealed class FhirHttpException(int status, string issueCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>An R4 issue-type code (invalid, not-found, deleted, not-supported, conflict, processing, ...).</summary>
    public string IssueCode { get; } = issueCode;
}
