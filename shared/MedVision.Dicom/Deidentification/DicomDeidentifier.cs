using System.Globalization;
using System.Text;
using MedVision.Dicom.Dictionary;
using MedVision.Dicom.IO;

namespace MedVision.Dicom.Deidentification;

/// <summary>
/// The Basic Application Level Confidentiality Profile of PS3.15 Annex E, driven by Table E.1-1
/// (<see cref="DeidentificationProfile"/>), with the options of <see cref="DeidentificationOptions"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every attribute the table lists is handled wherever it occurs: at the top level and in every item of every
/// sequence, at any depth. Attributes the table does not list are kept (sequences among them are still searched).
/// Every private attribute (odd group, creators included) is removed. Pixel data is never changed; instances whose
/// pixels may show identifying text are reported (<see cref="DeidentificationResult.BurnedInAnnotation"/>).
/// </para>
/// <para>
/// One de-identifier (so one <see cref="IUidMap"/>) per set of related instances, typically a study: the same old UID
/// then gets the same new UID in every file, and the Modified Dates option shifts every file of a study by the same
/// offset. The file meta information and preamble are replaced (E.1.1 item 7): the new meta names this application
/// and carries the new SOP Instance UID.
/// </para>
/// </remarks>
public sealed class DicomDeidentifier
{
    /// <summary>Dummy for text VRs (LO, SH, ST, LT, UT, UC, CS, AE, UR).</summary>
    public const string DummyText = "ANONYMIZED";

    public const string DummyPersonName = "ANONYMOUS";

    /// <summary>Dummy date: a valid DA no real examination carries.</summary>
    public const string DummyDate = "19000101";

    public const string DummyTime = "000000";

    public const string DummyDateTime = "19000101000000";

    public const string DummyAge = "000Y";

    /// <summary>What replaces an identifying value struck out of text by the clean (C) action.</summary>
    public const string StruckOut = "*";

    /// <summary>The coding scheme of the CID 7050 codes.</summary>
    public const string CodingScheme = "DCM";

    private const int MaxDepth = 256;

    private static readonly DicomTag SopClassUid = new(0x0008, 0x0016);
    private static readonly DicomTag SopInstanceUid = new(0x0008, 0x0018);
    private static readonly DicomTag Modality = new(0x0008, 0x0060);
    private static readonly DicomTag CodeValue = new(0x0008, 0x0100);
    private static readonly DicomTag CodingSchemeDesignator = new(0x0008, 0x0102);
    private static readonly DicomTag CodeMeaning = new(0x0008, 0x0104);
    private static readonly DicomTag PatientName = new(0x0010, 0x0010);
    private static readonly DicomTag PatientId = new(0x0010, 0x0020);
    private static readonly DicomTag PatientIdentityRemoved = new(0x0012, 0x0062);
    private static readonly DicomTag DeidentificationMethod = new(0x0012, 0x0063);
    private static readonly DicomTag DeidentificationMethodCodeSequence = new(0x0012, 0x0064);
    private static readonly DicomTag StudyInstanceUid = new(0x0020, 0x000D);
    private static readonly DicomTag BurnedInAnnotationTag = new(0x0028, 0x0301);
    private static readonly DicomTag LongitudinalTemporalInformationModified = new(0x0028, 0x0303);

    /// <summary>Modalities whose images often carry burned-in text when Burned In Annotation is not stated.</summary>
    private static readonly string[] BurnInProneModalities = ["US", "OT", "SC", "XC", "ES", "GM", "SM", "DOC", "IVUS", "OP"];

    public DicomDeidentifier(DeidentificationOptions? options = null, IUidMap? uidMap = null, IDateOffsetProvider? dateOffsets = null)
    {
        Options = options ?? DeidentificationOptions.Basic;
        UidMap = uidMap ?? new UidMap();
        DateOffsets = dateOffsets ?? UidMap as IDateOffsetProvider ?? new UidMap();
    }

    public DeidentificationOptions Options { get; }

    /// <summary>The map shared by every instance this de-identifier handles.</summary>
    public IUidMap UidMap { get; }

    public IDateOffsetProvider DateOffsets { get; }

    /// <summary>The CID 7050 codes (code value, code meaning) that describe what this de-identifier does.</summary>
    public IReadOnlyList<(string Code, string Meaning)> MethodCodes
    {
        get
        {
            var codes = new List<(string, string)> { ("113100", "Basic Application Confidentiality Profile") };
            if (Options.CleanStructuredContent)
            {
                codes.Add(("113104", "Clean Structured Content Option"));
            }

            if (Options.CleanDescriptors)
            {
                codes.Add(("113105", "Clean Descriptors Option"));
            }

            if (Options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.FullDates)
            {
                codes.Add(("113106", "Retain Longitudinal Temporal Information Full Dates Option"));
            }

            if (Options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.ModifiedDates)
            {
                codes.Add(("113107", "Retain Longitudinal Temporal Information Modified Dates Option"));
            }

            if (Options.RetainPatientCharacteristics)
            {
                codes.Add(("113108", "Retain Patient Characteristics Option"));
            }

            if (Options.RetainDeviceIdentity)
            {
                codes.Add(("113109", "Retain Device Identity Option"));
            }

            if (Options.RetainUids)
            {
                codes.Add(("113110", "Retain UIDs Option"));
            }

            if (Options.RetainInstitutionIdentity)
            {
                codes.Add(("113112", "Retain Institution Identity Option"));
            }

            return codes;
        }
    }

    /// <summary>The action this de-identifier takes for a tag (before the per-value refinements described on <see cref="CompoundActionPolicy"/>).</summary>
    public DeidentificationAction ActionFor(DicomTag tag) =>
        (tag.Group & 1) == 1 ? DeidentificationAction.Remove
        : DeidentificationProfile.TryFind(tag, out var rule) ? DeidentificationActions.Resolve(rule, Options)
        : DeidentificationAction.Keep;

    /// <summary>De-identifies one instance. The input is not changed; the result shares its (immutable) pixel data bytes.</summary>
    public DeidentificationResult Deidentify(DicomFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var source = file.Dataset;
        var run = new Run(this);
        if (Options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.ModifiedDates)
        {
            run.OffsetDays = DateOffsets.OffsetDays(ScopeKey(source));
        }

        run.CollectTerms(source, 0);

        var burnedIn = BurnedIn(source, run);
        if (file.StoppedBeforePixelData)
        {
            run.Warn("The instance was read without its pixel data; the result has none.");
        }

        var dataset = source.Clone();
        run.Process(dataset, 0, cleaning: false);
        Mark(dataset);
        var meta = BuildMeta(file, dataset, run);
        return new DeidentificationResult(new DicomFile(meta, dataset, file.TransferSyntax), run.Counts(), burnedIn, run.Warnings);
    }

    private string ScopeKey(DicomDataset source)
    {
        var study = source.GetFirstString(StudyInstanceUid);
        var patient = source.GetFirstString(PatientId);
        return Options.DateShiftScope == DateShiftScope.Patient
            ? "patient:" + (patient ?? study ?? "")
            : "study:" + (study ?? patient ?? "");
    }

    private static bool BurnedIn(DicomDataset source, Run run)
    {
        var stated = source.GetFirstString(BurnedInAnnotationTag);
        if (string.Equals(stated, "YES", StringComparison.OrdinalIgnoreCase))
        {
            run.Warn("Burned In Annotation (0028,0301) is YES: the pixel data may show identifying text and was not changed.");
            return true;
        }

        if (stated is not null)
        {
            return false;
        }

        var modality = source.GetFirstString(Modality) ?? "";
        var sopClass = source.GetFirstString(SopClassUid) ?? "";
        if (BurnInProneModalities.Contains(modality, StringComparer.OrdinalIgnoreCase) || sopClass.StartsWith("1.2.840.10008.5.1.4.1.1.7", StringComparison.Ordinal))
        {
            run.Warn($"Burned In Annotation (0028,0301) is absent in a {(modality.Length > 0 ? modality : "secondary capture")} instance, which often carries burned-in text: the pixel data was not changed and should be reviewed.");
            return true;
        }

        return false;
    }

    /// <summary>PS3.15 E.1.1 item 6: Patient Identity Removed, the method as text and as CID 7050 codes.</summary>
    private void Mark(DicomDataset dataset)
    {
        dataset.SetString(PatientIdentityRemoved, DicomVR.CS, "YES");
        var codes = MethodCodes;

        var methods = dataset.GetStrings(DeidentificationMethod).Where(m => m.Length > 0).ToList();
        foreach (var (_, meaning) in codes)
        {
            if (!methods.Contains(meaning, StringComparer.Ordinal))
            {
                methods.Add(meaning);
            }
        }

        SetText(dataset, DeidentificationMethod, DicomVR.LO, string.Join('\\', methods));

        var items = dataset.GetItems(DeidentificationMethodCodeSequence).ToList();
        foreach (var (code, meaning) in codes)
        {
            if (items.Any(i => i.GetFirstString(CodeValue) == code && i.GetFirstString(CodingSchemeDesignator) == CodingScheme))
            {
                continue;
            }

            var item = new DicomDataset(dataset);
            item.SetString(CodeValue, DicomVR.SH, code);
            item.SetString(CodingSchemeDesignator, DicomVR.SH, CodingScheme);
            SetText(item, CodeMeaning, DicomVR.LO, meaning);
            items.Add(item);
        }

        dataset.SetSequence(DeidentificationMethodCodeSequence, items);
        dataset.SetString(LongitudinalTemporalInformationModified, DicomVR.CS, Options.RetainLongitudinalTemporalInformation switch
        {
            LongitudinalTemporalRetention.FullDates => "UNMODIFIED",
            LongitudinalTemporalRetention.ModifiedDates => "MODIFIED",
            _ => "REMOVED",
        });
    }

    /// <summary>
    /// New file meta information naming this application (E.1.1 item 7), with the SOP Instance UID of the
    /// de-identified data set; nothing else of the original meta (source AE titles, private information) survives.
    /// </summary>
    /// <summary>UI values are read as Latin-1; writing them back the same way keeps even a malformed UID's bytes (SetString would refuse them).</summary>
    private static void SetUid(DicomDataset meta, DicomTag tag, string uid)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(uid);
        if ((bytes.Length & 1) == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
        }

        meta.SetBytes(tag, DicomVR.UI, bytes);
    }

    private static DicomDataset BuildMeta(DicomFile file, DicomDataset dataset, Run run)
    {
        var original = file.FileMeta;
        var meta = new DicomDataset();
        meta.SetBytes(DicomTag.FileMetaInformationVersion, DicomVR.OB, new byte[] { 0, 1 });
        if ((dataset.GetFirstString(SopClassUid) ?? original.GetFirstString(DicomTag.MediaStorageSopClassUid)) is { } sopClass)
        {
            SetUid(meta, DicomTag.MediaStorageSopClassUid, sopClass);
        }

        if (dataset.GetFirstString(SopInstanceUid) is { } sopInstance)
        {
            SetUid(meta, DicomTag.MediaStorageSopInstanceUid, sopInstance);
        }
        else if (original.TryGet(DicomTag.MediaStorageSopInstanceUid, out var instance))
        {
            // No SOP Instance UID in the data set: the meta's own value gets its table action (U).
            meta.AddOrUpdate(instance);
            run.Process(meta, 0, cleaning: false);
        }

        meta.SetString(DicomTag.TransferSyntaxUid, DicomVR.UI, original.GetFirstString(DicomTag.TransferSyntaxUid) ?? file.TransferSyntax.Uid);
        meta.SetString(DicomTag.ImplementationClassUid, DicomVR.UI, DicomWriter.ImplementationClassUid);
        meta.SetString(DicomTag.ImplementationVersionName, DicomVR.SH, DicomWriter.ImplementationVersionName);
        return meta;
    }

    private static DicomVR EffectiveVR(DicomElement element)
    {
        if (element.Items is not null)
        {
            return DicomVR.SQ;
        }

        if (element.VR is DicomVR.UN or DicomVR.None && DicomDictionary.TryGet(element.Tag, out var entry) && entry.VR is not (DicomVR.None or DicomVR.UN or DicomVR.SQ))
        {
            return entry.VR;
        }

        return element.VR == DicomVR.None ? DicomVR.UN : element.VR;
    }

    private static string DummyFor(DicomVR vr) => vr switch
    {
        DicomVR.PN => DummyPersonName,
        DicomVR.DA => DummyDate,
        DicomVR.TM => DummyTime,
        DicomVR.DT => DummyDateTime,
        DicomVR.AS => DummyAge,
        DicomVR.DS or DicomVR.IS => "0",
        _ => DummyText,
    };

    /// <summary>Text VRs whose identifying words can be struck out (not codes, dates, numbers or UIDs).</summary>
    private static bool IsFreeText(DicomVR vr) => vr is DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.UC or DicomVR.UT;

    /// <summary>Writes text in the data set's character set; text it cannot encode is replaced by the VR's dummy.</summary>
    private static void SetText(DicomDataset dataset, DicomTag tag, DicomVR vr, string text)
    {
        try
        {
            dataset.SetString(tag, vr, text);
        }
        catch (ArgumentException)
        {
            var bytes = Encoding.ASCII.GetBytes(DummyFor(vr));
            if ((bytes.Length & 1) == 1)
            {
                Array.Resize(ref bytes, bytes.Length + 1);
                bytes[^1] = vr.PaddingByte();
            }

            dataset.SetBytes(tag, vr, bytes);
        }
    }

    /// <summary>No value: no items, no bytes, or (text) nothing but padding.</summary>
    private static bool IsBlank(DicomElement element) =>
        element.Items is { } items ? items.Count == 0
        : element.Fragments is null && (element.Bytes.IsEmpty || (EffectiveVR(element).IsString() && !element.Bytes.Span.ContainsAnyExcept((byte)' ', (byte)0)));

    // ---- dates -----------------------------------------------------------------------------------------------

    private static bool TryShift(string value, DicomVR vr, int days, out string shifted)
    {
        var values = value.Split('\\');
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i].Trim();
            string? result;
            if (vr == DicomVR.DA)
            {
                // A DA may be a range (query syntax): shift each end.
                var ends = v.Split('-');
                for (var j = 0; j < ends.Length; j++)
                {
                    if (ends[j].Length > 0 && ShiftDate(ends[j], days) is { } end)
                    {
                        ends[j] = end;
                    }
                    else if (ends[j].Length > 0)
                    {
                        shifted = value;
                        return false;
                    }
                }

                result = string.Join('-', ends);
            }
            else
            {
                result = v.Length == 0 ? v : ShiftDateTime(v, days);
            }

            if (result is null)
            {
                shifted = value;
                return false;
            }

            values[i] = result;
        }

        shifted = string.Join('\\', values);
        return true;
    }

    /// <summary>YYYYMMDD (or the old YYYY.MM.DD) moved by whole days; null when it is not a date.</summary>
    private static string? ShiftDate(string date, int days)
    {
        var formats = new[] { "yyyyMMdd", "yyyy.MM.dd" };
        if (!DateOnly.TryParseExact(date, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return null;
        }

        var dayNumber = (long)parsed.DayNumber + days;
        return dayNumber is < 0 or > 3652058 ? null : DateOnly.FromDayNumber((int)dayNumber).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A DT (YYYY[MM[DD[HH[MM[SS[.F]]]]]][&amp;ZZXX]) with its date moved by whole days; the time of day, fraction and
    /// offset are unchanged, and a year or year-month keeps its precision (its first day is shifted).
    /// </summary>
    private static string? ShiftDateTime(string value, int days)
    {
        var digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits]))
        {
            digits++;
        }

        var date = digits switch
        {
            >= 8 => value[..8],
            6 => value[..6] + "01",
            4 => value[..4] + "0101",
            _ => null,
        };
        if (date is null || ShiftDate(date, days) is not { } shifted)
        {
            return null;
        }

        var keep = Math.Min(digits, 8);
        return shifted[..keep] + value[keep..];
    }

    /// <summary>The state of one instance's de-identification.</summary>
    private sealed class Run(DicomDeidentifier owner)
    {
        private readonly DeidentificationOptions options = owner.Options;
        private readonly HashSet<string> terms = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> warnings = [];
        private string[]? sortedTerms;
        private int removed;
        private int privateRemoved;
        private int emptied;
        private int replaced;
        private int cleaned;
        private int uidsReplaced;

        /// <summary>The date offset of the Modified Dates option; null when dates are not shifted.</summary>
        public int? OffsetDays { get; set; }

        public IReadOnlyList<string> Warnings => warnings;

        public DeidentificationCounts Counts() => new(removed, privateRemoved, emptied, replaced, cleaned, uidsReplaced);

        public void Warn(string message)
        {
            if (!warnings.Contains(message))
            {
                warnings.Add(message);
            }
        }

        /// <summary>
        /// Gathers the values the profile protects (removes, empties, replaces, remaps or date-shifts), split into
        /// words, so the clean action can strike them out of the text it keeps. Descriptors are not gathered: they
        /// are what gets cleaned, and their words are not identifiers in themselves.
        /// </summary>
        public void CollectTerms(DicomDataset dataset, int depth)
        {
            if (depth > MaxDepth)
            {
                return;
            }

            foreach (var element in dataset)
            {
                if (element.Items is { } items)
                {
                    foreach (var item in items)
                    {
                        CollectTerms(item, depth + 1);
                    }

                    continue;
                }

                if ((element.Tag.Group & 1) == 1 || element.Fragments is not null || !DeidentificationProfile.TryFind(element.Tag, out var rule)
                    || rule.CleanDescriptors is not null || rule.CleanStructuredContent is not null)
                {
                    continue;
                }

                var vr = EffectiveVR(element);
                var action = DeidentificationActions.Resolve(rule, options);
                var protectedValue = action is DeidentificationAction.Remove or DeidentificationAction.Zero or DeidentificationAction.Dummy or DeidentificationAction.ReplaceUid
                    || (action == DeidentificationAction.Clean && vr is DicomVR.DA or DicomVR.DT);
                if (!protectedValue || !vr.IsString())
                {
                    continue;
                }

                var text = dataset.DecodeText(element);
                AddTerm(text);
                foreach (var word in text.Split(['\\', '^', '=', ' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    AddTerm(word);
                    if (vr == DicomVR.DT && word.Length > 8)
                    {
                        AddTerm(word[..8]);
                    }
                }
            }
        }

        private void AddTerm(string term)
        {
            // Shorter words (initials, "M", "CT") would strike out too much of any text.
            if (term.Trim().Length >= 3)
            {
                terms.Add(term.Trim());
                sortedTerms = null;
            }
        }

        private string Scrub(string text)
        {
            sortedTerms ??= [.. terms.OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal)];
            foreach (var term in sortedTerms)
            {
                text = text.Replace(term, StruckOut, StringComparison.OrdinalIgnoreCase);
            }

            return text;
        }

        /// <summary>Applies the profile to a data set in place: every element, and every item of every sequence.</summary>
        public void Process(DicomDataset dataset, int depth, bool cleaning)
        {
            if (depth > MaxDepth)
            {
                throw new InvalidOperationException($"Sequences nest deeper than {MaxDepth} levels; refusing to de-identify.");
            }

            foreach (var element in dataset.ToList())
            {
                var tag = element.Tag;
                if ((tag.Group & 1) == 1)
                {
                    // Every odd group: private data elements, their creators, and the illegal groups 0001-0007.
                    dataset.Remove(tag);
                    privateRemoved++;
                    continue;
                }

                if (tag.IsGroupLength)
                {
                    continue; // recomputed by the writer
                }

                if (!DeidentificationProfile.TryFind(tag, out var rule))
                {
                    if (element.Items is { } items)
                    {
                        ProcessItems(items, depth, cleaning);
                    }
                    else if (cleaning)
                    {
                        StrikeOut(dataset, element);
                    }

                    continue;
                }

                var action = DeidentificationActions.Resolve(rule, options, out var compound);
                if (compound && action == DeidentificationAction.Dummy && IsBlank(element))
                {
                    continue; // a zero-length value under Z/D, X/D, X/Z/D: see CompoundActionPolicy.PreserveConformance
                }

                Apply(dataset, element, rule, action, depth, cleaning);
            }
        }

        private void ProcessItems(List<DicomDataset> items, int depth, bool cleaning)
        {
            foreach (var item in items)
            {
                Process(item, depth + 1, cleaning);
            }
        }

        private void Apply(DicomDataset dataset, DicomElement element, DeidentificationRule rule, DeidentificationAction action, int depth, bool cleaning)
        {
            var tag = element.Tag;
            switch (action)
            {
                case DeidentificationAction.Keep:
                    if (element.Items is { } kept)
                    {
                        ProcessItems(kept, depth, cleaning);
                    }

                    break;
                case DeidentificationAction.Remove:
                    dataset.Remove(tag);
                    removed++;
                    break;
                case DeidentificationAction.Zero:
                    if (Pseudonym(tag) is { } zeroPseudonym)
                    {
                        SetText(dataset, tag, EffectiveVR(element), zeroPseudonym);
                        replaced++;
                    }
                    else
                    {
                        dataset.AddOrUpdate(element.Items is not null
                            ? DicomElement.Sequence(tag, [])
                            : DicomElement.FromBytes(tag, EffectiveVR(element), ReadOnlyMemory<byte>.Empty));
                        emptied++;
                    }

                    break;
                case DeidentificationAction.Dummy:
                    Dummy(dataset, element);
                    break;
                case DeidentificationAction.Clean:
                    Clean(dataset, element, rule, depth, cleaning);
                    break;
                case DeidentificationAction.ReplaceUid:
                    if (element.Items is { } referencing)
                    {
                        ProcessItems(referencing, depth, cleaning); // X/Z/U*: the contained UIDs have their own U rows
                    }
                    else
                    {
                        ReplaceUids(dataset, element, dummyWhenEmpty: false);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Unknown action {action}.");
            }
        }

        private string? Pseudonym(DicomTag tag) =>
            tag == PatientName ? options.PatientName
            : tag == PatientId ? options.PatientId
            : null;

        private void Dummy(DicomDataset dataset, DicomElement element)
        {
            var tag = element.Tag;
            var vr = EffectiveVR(element);
            if (element.Items is not null)
            {
                // A sequence of one empty item: present and non-empty for a Type 1 sequence, carrying nothing.
                dataset.AddOrUpdate(DicomElement.Sequence(tag, [new DicomDataset()]));
                replaced++;
                return;
            }

            if (vr == DicomVR.UI)
            {
                ReplaceUids(dataset, element, dummyWhenEmpty: true);
                return;
            }

            if (vr.IsString())
            {
                SetText(dataset, tag, vr, Pseudonym(tag) ?? DummyFor(vr));
            }
            else
            {
                // Binary VRs: one zero value (two zero bytes for OB, UN and other byte streams).
                dataset.SetBytes(tag, vr, new byte[Math.Max(2, vr.ValueSize())]);
            }

            replaced++;
        }

        private void ReplaceUids(DicomDataset dataset, DicomElement element, bool dummyWhenEmpty)
        {
            var vr = EffectiveVR(element);
            if (!vr.IsString() && vr != DicomVR.UN)
            {
                dataset.Remove(element.Tag);
                removed++;
                Warn($"{element.Tag} has VR {vr.Code()}, not UI: removed instead of remapped.");
                return;
            }

            var values = Encoding.Latin1.GetString(element.Bytes.Span).Split('\\');
            var any = false;
            for (var i = 0; i < values.Length; i++)
            {
                var uid = values[i].Trim(' ', '\0');
                values[i] = uid;
                if (uid.Length == 0 || IsStandardUid(uid))
                {
                    continue; // nothing to protect; UIDs the standard defines (well-known frames of reference) identify no one
                }

                values[i] = owner.UidMap.Map(uid);
                uidsReplaced++;
                any = true;
            }

            if (!any && dummyWhenEmpty && values.All(v => v.Length == 0))
            {
                values = [owner.UidMap.Map("")];
                uidsReplaced++;
                any = true;
            }

            if (any)
            {
                dataset.SetString(element.Tag, DicomVR.UI, string.Join('\\', values));
            }
        }

        private static bool IsStandardUid(string uid) => uid.StartsWith("1.2.840.10008.", StringComparison.Ordinal);

        private void Clean(DicomDataset dataset, DicomElement element, DeidentificationRule rule, int depth, bool cleaning)
        {
            var vr = EffectiveVR(element);
            if (element.Items is { } items)
            {
                // PS3.15 E.1.1: cleaning a sequence may be done by applying the profile to each item; what the table
                // does not cover in those items (text content items, code meanings) is struck out as text.
                ProcessItems(items, depth, cleaning: true);
                cleaned++;
                return;
            }

            if (element.Fragments is null && vr.IsString())
            {
                var text = dataset.DecodeText(element);
                switch (vr)
                {
                    case DicomVR.DA or DicomVR.DT when OffsetDays is { } days:
                        if (TryShift(text, vr, days, out var shifted))
                        {
                            SetText(dataset, element.Tag, vr, shifted);
                            cleaned++;
                            return;
                        }

                        Warn($"{element.Tag}: a value is not a date that can be shifted; the Basic Profile action was applied.");
                        break;
                    case DicomVR.TM when OffsetDays is not null:
                        cleaned++; // a whole-day shift leaves the time of day as it is
                        return;
                    case DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.UC or DicomVR.UT or DicomVR.CS:
                        var scrubbed = Scrub(text);
                        if (!string.Equals(scrubbed, text, StringComparison.Ordinal))
                        {
                            SetText(dataset, element.Tag, vr, scrubbed);
                        }

                        cleaned++;
                        return;
                    default:
                        break;
                }
            }

            // AE titles, byte streams, times without a date shift: nothing to clean with, so the Basic Profile applies.
            var basic = DeidentificationActions.ResolveBasic(rule, options.CompoundActions);
            if (basic == DeidentificationAction.Clean)
            {
                basic = DeidentificationAction.Remove;
            }

            Apply(dataset, element, rule, basic, depth, cleaning);
        }

        /// <summary>Inside a cleaned sequence, free text the table does not cover loses every identifying value.</summary>
        private void StrikeOut(DicomDataset dataset, DicomElement element)
        {
            var vr = EffectiveVR(element);
            if (element.Fragments is not null || !IsFreeText(vr))
            {
                return;
            }

            var text = dataset.DecodeText(element);
            var scrubbed = Scrub(text);
            if (!string.Equals(scrubbed, text, StringComparison.Ordinal))
            {
                SetText(dataset, element.Tag, vr, scrubbed);
                cleaned++;
            }
        }
    }
}
