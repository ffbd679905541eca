namespace MedVision.Dicom.Deidentification;

/// <summary>
/// What the de-identifier does with one attribute: one of the action codes of PS3.15 Table E.1-1a once a compound
/// code (X/Z, X/D, X/Z/D, Z/D, X/Z/U*) has been resolved and any enabled option has overridden the Basic Profile.
/// </summary>
public enum DeidentificationAction
{
    /// <summary>K: the value is kept; a sequence is kept and every item is de-identified by the same rules.</summary>
    Keep = 0,

    /// <summary>X: the attribute is removed; a sequence goes with all its items.</summary>
    Remove,

    /// <summary>Z: a zero-length value; a sequence with no items.</summary>
    Zero,

    /// <summary>D: a non-zero-length dummy value consistent with the VR; a sequence with one empty item; a UI gets a mapped UID.</summary>
    Dummy,

    /// <summary>
    /// C: replaced with a value of similar meaning that carries no identifying information: dates shifted by the
    /// study's offset (Modified Dates option), text with every identifying value of the data set struck out, a
    /// sequence de-identified item by item with its remaining text struck out the same way. A value that cannot be
    /// cleaned gets the Basic Profile action instead.
    /// </summary>
    Clean,

    /// <summary>
    /// U: every UID value replaced by its consistent replacement from the <see cref="IUidMap"/>; for a sequence
    /// (X/Z/U*), the sequence is kept and its items de-identified, which replaces the instance UIDs they contain.
    /// </summary>
    ReplaceUid,
}

/// <summary>
/// How compound action codes are resolved. The table's compounds mean "the first unless the attribute's Type in the
/// IOD requires the next" (X/Z: X for Type 3, Z for Type 2); the de-identifier does not know each attribute's Type in
/// each IOD, so it picks one end.
/// </summary>
public enum CompoundActionPolicy
{
    /// <summary>
    /// The last action of the compound (X/Z → Z, X/D → D, X/Z/D → D, Z/D → D, X/Z/U* → U*), which satisfies the IOD
    /// whatever the Type: Z is valid for Type 2 and 3, D for Type 1, 2 and 3. Neither keeps any original value, so
    /// privacy is the same as X's; only the attribute's presence remains. An attribute that was already zero-length
    /// stays zero-length under a D compound (it cannot be Type 1 in a valid object, and there is nothing to protect).
    /// </summary>
    PreserveConformance = 0,

    /// <summary>The first action (X/… → X, Z/D → Z): the least data kept, at the risk of a missing Type 1 or 2 attribute.</summary>
    RemoveMost,
}

/// <summary>Resolves a table row to the action taken under a set of options.</summary>
public static class DeidentificationActions
{
    /// <summary>
    /// The action for a rule: an enabled option's action overrides the Basic Profile action (PS3.15 E.1.1: "A
    /// requirement for an Option, when implemented, overrides any requirement for the underlying Profile"). When two
    /// enabled options disagree (only Modified Dates "C" against Retain Device Identity "K", on calibration dates)
    /// the cleaning one wins: real calibration dates next to shifted study dates would give the real dates away.
    /// </summary>
    public static DeidentificationAction Resolve(DeidentificationRule rule, DeidentificationOptions options) =>
        Resolve(rule, options, out _);

    /// <summary>The Basic Profile action alone (no option), compound codes resolved by <paramref name="policy"/>.</summary>
    public static DeidentificationAction ResolveBasic(DeidentificationRule rule, CompoundActionPolicy policy) =>
        ResolveCode(rule.BasicAction, policy, out _);

    internal static DeidentificationAction Resolve(DeidentificationRule rule, DeidentificationOptions options, out bool fromCompound)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? chosen = null;
        Consider(ref chosen, options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.FullDates, rule.RetainLongFullDates);
        Consider(ref chosen, options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.ModifiedDates, rule.RetainLongModifiedDates);
        Consider(ref chosen, options.RetainPatientCharacteristics, rule.RetainPatientCharacteristics);
        Consider(ref chosen, options.RetainUids, rule.RetainUids);
        Consider(ref chosen, options.RetainDeviceIdentity, rule.RetainDeviceIdentity);
        Consider(ref chosen, options.RetainInstitutionIdentity, rule.RetainInstitutionIdentity);
        Consider(ref chosen, options.CleanDescriptors, rule.CleanDescriptors);
        Consider(ref chosen, options.CleanStructuredContent, rule.CleanStructuredContent);
        return chosen is not null
            ? ResolveCode(chosen, options.CompoundActions, out fromCompound)
            : ResolveCode(rule.BasicAction, options.CompoundActions, out fromCompound);
    }

    /// <summary>Parses one of the table's codes ("X", "Z/D", "X/Z/U*", ...).</summary>
    internal static DeidentificationAction ResolveCode(string code, CompoundActionPolicy policy, out bool fromCompound)
    {
        ArgumentNullException.ThrowIfNull(code);
        var parts = code.Split('/', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException($"'{code}' is not a de-identification action code.");
        }

        fromCompound = parts.Length > 1;
        var part = policy == CompoundActionPolicy.RemoveMost ? parts[0] : parts[^1];
        return part.TrimEnd('*') switch
        {
            "K" => DeidentificationAction.Keep,
            "X" => DeidentificationAction.Remove,
            "Z" => DeidentificationAction.Zero,
            "D" => DeidentificationAction.Dummy,
            "C" => DeidentificationAction.Clean,
            "U" => DeidentificationAction.ReplaceUid,
            _ => throw new FormatException($"'{code}' is not a de-identification action code."),
        };
    }

    private static void Consider(ref string? chosen, bool enabled, string? code)
    {
        if (!enabled || string.IsNullOrWhiteSpace(code))
        {
            return;
        }

        // Two enabled options on one row: C (clean) beats K (keep); see Resolve.
        chosen = chosen is null || code.Trim() == "C" ? code.Trim() : chosen;
    }
}
