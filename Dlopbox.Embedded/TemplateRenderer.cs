using System.Text.RegularExpressions;

namespace Dlopbox.Embedded;

/// <summary>Fills <c>${NAME}</c> placeholders the way the nginx image's envsubst does, for the names given.</summary>
public static partial class TemplateRenderer
{
    public static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    [GeneratedRegex(@"\$\{(DLOPBOX_[A-Z_]+)\}")]
    private static partial Regex Placeholder();
}
