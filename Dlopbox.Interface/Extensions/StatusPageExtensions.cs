namespace Dlopbox.Interface.Extensions;

public static class StatusPageExtensions
{
    /// <summary>
    /// Serves the status page (<c>wwwroot</c>: plain HTML, CSS and JavaScript) at <c>/</c>. Paths on the page are
    /// master file names, i.e. anyone's input: the page only ever sets them as text, and the policy below
    /// forbids inline script and any script or connection to another origin, should that ever slip.
    /// </summary>
    public static WebApplication UseStatusPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // The page is a few kilobytes and changes with each release: revalidate rather than run stale code.
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
