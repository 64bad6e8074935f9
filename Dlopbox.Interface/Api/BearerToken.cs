using System.Security.Cryptography;
using System.Text;

namespace Dlopbox.Interface.Api;

/// <summary>The shared-secret check of <c>Authorization: Bearer …</c>, compared in constant time so timing tells nothing of the secret.</summary>
internal static class BearerToken
{
    private const string Scheme = "Bearer ";

    public static bool Matches(HttpRequest request, string expected)
    {
        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : "";
        return presented.Length > 0 && expected.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>401 problem+json with the challenge a client expects.</summary>
    public static IResult Challenge(HttpContext context, string title)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title);
    }
}
