using System.Diagnostics;
using System.Text.RegularExpressions;
using Dlopbox.Contracts;

namespace Dlopbox.Interface.Api;

/// <summary>Checks every event of a batch; each problem is reported against the field that holds it.</summary>
public static partial class EventBatchValidator
{
    public static Dictionary<string, string[]> Validate(EventBatch batch, long maxFileSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(batch.Source) || batch.Source.Length > 256)
            errors["source"] = ["must be a non-empty name of at most 256 characters"];

        for (var i = 0; i < batch.Events.Count; i++)
        {
            var change = batch.Events[i];
            var at = $"events[{i}]";
            if (change is null)
            {
                errors[at] = ["must not be null"];
                continue;
            }
            Check(errors, $"{at}.path", PathRules.Check(change.Path));
            if (change.Path is not null && PathRules.IsReserved(change.Path))
                errors[$"{at}.path"] = ["must not name a dlopbox-reserved file (.dlopbox*)"];

            var isLinkMove = change.Kind == ChangeKind.Move && !change.IsDir && change.Target is not null;
            var needsFile = change.Kind == ChangeKind.Write || (change.Kind == ChangeKind.Move && !change.IsDir && !isLinkMove);
            if (change.Kind == ChangeKind.Move)
            {
                Check(errors, $"{at}.oldPath", change.OldPath is null ? "is required for a move" : PathRules.Check(change.OldPath));
                if (change.OldPath is not null && change.Path is not null && change.IsDir && PathRules.IsSameOrUnder(change.Path, change.OldPath))
                    errors[$"{at}.path"] = ["must not be inside the directory being moved"];
            }
            else if (change.OldPath is not null)
            {
                errors[$"{at}.oldPath"] = ["is only allowed for a move"];
            }

            if (change.Kind is ChangeKind.Write or ChangeKind.Symlink && change.IsDir)
                errors[$"{at}.isDir"] = [$"must be false for a {KindName(change.Kind)}"];
            if (change.Kind == ChangeKind.Mkdir && !change.IsDir)
                errors[$"{at}.isDir"] = ["must be true for a mkdir"];

            if (needsFile)
            {
                if (change.Size is not { } size || size < 0 || size > maxFileSize)
                    errors[$"{at}.size"] = [$"is required and must be between 0 and {maxFileSize}"];
                if (change.Mtime is null)
                    errors[$"{at}.mtime"] = ["is required"];
                if (change.Sha256 is null || !Sha256Hex().IsMatch(change.Sha256))
                    errors[$"{at}.sha256"] = ["is required: 64 lower-case hex digits"];
            }
            else if (change.Size is not null || change.Sha256 is not null)
            {
                errors[$"{at}.size"] = ["size and sha256 are only allowed for files"];
            }

            if (change.Kind == ChangeKind.Symlink || isLinkMove)
            {
                Check(errors, $"{at}.target", PathRules.CheckLinkTarget(change.Target));
                if (change.Mtime is null)
                    errors[$"{at}.mtime"] = ["is required"];
            }
            else if (change.Target is not null)
            {
                errors[$"{at}.target"] = ["is only allowed for a symlink or a move of one"];
            }

            var takesMode = change.Kind is ChangeKind.Write or ChangeKind.Mkdir or ChangeKind.Attrib || needsFile;
            if (change.Mode is { } mode && (!takesMode || mode is < 0 or > FileChange.PermissionBits))
                errors[$"{at}.mode"] = [takesMode ? "must be permission bits, 0 to 511 (0o777)" : $"is not allowed for a {KindName(change.Kind)}"];
            if (change.Kind == ChangeKind.Attrib && change.Mode is null)
                errors[$"{at}.mode"] = ["is required for an attrib"];
            if (change.Kind is ChangeKind.Mkdir or ChangeKind.Delete && change.Mtime is not null)
                errors[$"{at}.mtime"] = [$"is not allowed for a {KindName(change.Kind)}"];

            if (change.TraceParent is not null && !IsTraceParent(change.TraceParent))
                errors[$"{at}.traceParent"] = ["must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, ids not all zero"];
        }
        return errors;
    }

    private static string KindName(ChangeKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Version 00 of the W3C format, lower-case, with non-zero trace and span ids.</summary>
    private static bool IsTraceParent(string value) =>
        TraceParent().IsMatch(value) && ActivityContext.TryParse(value, null, out _);

    private static void Check(Dictionary<string, string[]> errors, string field, string? problem)
    {
        if (problem is not null)
            errors[field] = [problem];
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex TraceParent();
}
