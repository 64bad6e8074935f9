using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;

namespace Dlopbox.Interface.Api;

/// <summary>Reads a request's JSON body under a size limit, the same way for every endpoint that takes one.</summary>
internal static class JsonRequestBody
{
    /// <summary>
    /// The body as <typeparamref name="T"/>, or the problem to answer instead: <paramref name="tooLarge"/> (413) when
    /// Content-Length says more than <paramref name="maxBytes"/> or a body without one runs past it; 400 naming the JSON
    /// path of what is malformed (also handed to <paramref name="malformed"/>, for the caller's log); 400 for a JSON null.
    /// <paramref name="noun"/> names the body in the messages ("batch", "report").
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, long maxBytes,
        string noun, IResult tooLarge, Action<string, string> malformed, CancellationToken cancellationToken)
        where T : class
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            bodyLimit.MaxRequestBodySize = maxBytes;
        if (context.Request.ContentLength > maxBytes)
            return (null, tooLarge);

        T? value;
        try
        {
            value = await JsonSerializer.DeserializeAsync(context.Request.Body, typeInfo, cancellationToken);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            malformed(field, ex.Message);
            return (null, Results.ValidationProblem(
                new Dictionary<string, string[]> { [field] = [ex.Message] },
                title: $"The {noun} is not valid JSON of the expected shape."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge);
        }
        return value is null
            ? (null, Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [$"must be a {noun} object"] }))
            : (value, null);
    }
}
