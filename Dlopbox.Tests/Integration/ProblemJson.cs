using System.Net;
using System.Text.Json;

namespace Dlopbox.Tests.Integration;

/// <summary>What every refusal of the Interface must be: the expected status with an <c>application/problem+json</c> body.</summary>
internal static class ProblemJson
{
    /// <summary>Asserts the status and the media type; returns the problem document.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {status}, got {(int)response.StatusCode} {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement;
    }
}
