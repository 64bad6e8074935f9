namespace Dlopbox.AppHost;

/// <summary>
/// An image reference from configuration (<c>[registry/]image[:tag]</c>), split once, the way Docker reads
/// it: the first path part is a registry only when it has a dot or a port or is <c>localhost</c>, so
/// <c>dlopbox-local/nginx:1.22</c> is a local image with no registry.
/// </summary>
public sealed record ContainerImage(string? Registry, string Image, string Tag)
{
    public static ContainerImage Parse(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (reference.Contains('@'))
            throw new FormatException($"'{reference}': digests are not supported; name a tag");

        var rest = reference.Trim();
        string? registry = null;
        var slash = rest.IndexOf('/');
        if (slash > 0 && rest[..slash] is var first && (first.Contains('.') || first.Contains(':') || first == "localhost"))
            (registry, rest) = (first, rest[(slash + 1)..]);

        // A tag's colon comes after the last slash; a registry's port colon never reaches here.
        var colon = rest.LastIndexOf(':');
        var (image, tag) = colon > rest.LastIndexOf('/') ? (rest[..colon], rest[(colon + 1)..]) : (rest, "latest");
        if (image.Length == 0 || tag.Length == 0)
            throw new FormatException($"'{reference}' is not an image reference ([registry/]image[:tag])");
        return new ContainerImage(registry, image, tag);
    }

    public override string ToString() => (Registry is null ? "" : Registry + "/") + Image + ":" + Tag;
}
