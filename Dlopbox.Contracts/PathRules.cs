using System.Text;

namespace Dlopbox.Contracts;

/// <summary>
/// The one definition of a valid relative path on the wire: non-empty, '/'-separated, no leading or
/// trailing '/', no empty, "." or ".." segment, no NUL, valid UTF-16 (so valid UTF-8), no U+FFFF
/// (kept free as an ordering sentinel), at most <see cref="MaxNameBytes"/> UTF-8 bytes a segment and
/// <see cref="MaxPathBytes"/> in all. Every hop checks paths again with these rules; none trusts them.
/// </summary>
public static class PathRules
{
    public const int MaxPathBytes = 4096;
    public const int MaxNameBytes = 255;

    /// <summary>Sorts after every character a valid path can hold, so [p + "/", p + "/" + Sentinel] spans p's subtree.</summary>
    public const char Sentinel = '\uffff';

    public static bool IsValid(string? path) => Check(path) is null;

    /// <summary>Returns null when <paramref name="path"/> is valid, otherwise why it is not.</summary>
    public static string? Check(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return "must not be empty";
        if (path[0] == '/')
            return "must be relative (it starts with '/')";
        if (path[^1] == '/')
            return "must not end with '/'";

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(path);
        }
        catch (EncoderFallbackException)
        {
            return "must be valid Unicode (it holds a lone surrogate)";
        }
        if (byteCount > MaxPathBytes)
            return $"must be at most {MaxPathBytes} UTF-8 bytes";

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
                return "must not contain an empty segment ('//')";
            if (segment is "." or "..")
                return "must not contain '.' or '..' segments";
            if (segment.Contains('\0'))
                return "must not contain NUL";
            if (segment.Contains(Sentinel))
                return "must not contain U+FFFF";
            if (StrictUtf8.GetByteCount(segment) > MaxNameBytes)
                return $"must not have a segment longer than {MaxNameBytes} UTF-8 bytes";
        }
        return null;
    }

    /// <summary>Longest symlink target readlink(2) can return (PATH_MAX - 1).</summary>
    public const int MaxLinkTargetBytes = MaxPathBytes - 1;

    /// <summary>
    /// Returns null when <paramref name="target"/> can be a symlink's target on the wire, otherwise why not:
    /// not empty, no NUL (it would cut the target short in the kernel's C string), valid Unicode, at most
    /// <see cref="MaxLinkTargetBytes"/> UTF-8 bytes. Anything else goes: a target is text, never followed.
    /// </summary>
    public static string? CheckLinkTarget(string? target)
    {
        if (string.IsNullOrEmpty(target))
            return "is required: the link's target, not empty";
        if (target.Contains('\0'))
            return "must not contain NUL";
        try
        {
            if (StrictUtf8.GetByteCount(target) > MaxLinkTargetBytes)
                return $"must be at most {MaxLinkTargetBytes} UTF-8 bytes";
        }
        catch (EncoderFallbackException)
        {
            return "must be valid Unicode";
        }
        return null;
    }

    /// <summary>Throws <see cref="UnsafePathException"/> unless <paramref name="path"/> is valid.</summary>
    public static void Validate(string? path)
    {
        if (Check(path) is { } error)
            throw new UnsafePathException(path, error);
    }

    /// <summary>True when any segment of the path is reserved for dlopbox's own files.</summary>
    public static bool IsReserved(string path)
    {
        foreach (var segment in path.Split('/'))
        {
            if (segment.StartsWith(WireNames.ReservedNamePrefix, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Full path of <paramref name="relative"/> under <paramref name="root"/>, after checking the path
    /// and that the result cannot leave the root. Never trust the input: this is the only way a
    /// service turns a wire path into a file-system path.
    /// </summary>
    public static string ResolveUnder(string root, string relative)
    {
        Validate(relative);
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!full.StartsWith(fullRoot + "/", StringComparison.Ordinal))
            throw new UnsafePathException(relative, "resolves outside the root");
        return full;
    }

    /// <summary>Relative wire path of <paramref name="fullPath"/>, or null when it is the root or outside it.</summary>
    public static string? ToRelative(string root, string fullPath)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!fullPath.StartsWith(fullRoot + "/", StringComparison.Ordinal))
            return null;
        var relative = fullPath[(fullRoot.Length + 1)..];
        return IsValid(relative) ? relative : null;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsSameOrUnder(string path, string ancestor) =>
        path.Length == ancestor.Length
            ? string.Equals(path, ancestor, StringComparison.Ordinal)
            : path.Length > ancestor.Length && path[ancestor.Length] == '/' && path.StartsWith(ancestor, StringComparison.Ordinal);

    /// <summary>Moves <paramref name="path"/> from below <paramref name="oldPrefix"/> to below <paramref name="newPrefix"/>.</summary>
    public static string Rebase(string path, string oldPrefix, string newPrefix)
    {
        if (!IsSameOrUnder(path, oldPrefix))
            throw new ArgumentException($"'{path}' is not under '{oldPrefix}'", nameof(path));
        return newPrefix + path[oldPrefix.Length..];
    }

    /// <summary>Parent of a relative path, or null for a top-level name.</summary>
    public static string? Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? null : path[..slash];
    }

    /// <summary>Joins a relative dir ("" for the root) and a name.</summary>
    public static string Combine(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;

    /// <summary>URL path of a relative path: each segment percent-encoded (spaces, '#', '%', '?', unicode).</summary>
    public static string ToUrlPath(string relative) =>
        string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>A path that is malformed or would leave the directory it must stay in.</summary>
public sealed class UnsafePathException(string? path, string reason)
    : Exception($"Unsafe path '{path}': {reason}")
{
    public string? UnsafePath { get; } = path;

    public string Reason { get; } = reason;
}
