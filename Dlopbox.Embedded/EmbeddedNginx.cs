namespace Dlopbox.Embedded;

/// <summary>
/// nginx from the OS package, run as a local process that serves the master dir read-only with the
/// repo's own server config (<c>nginx/templates/dlopbox.conf.template</c>, the same one the container uses).
/// </summary>
public sealed class EmbeddedNginx : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private LocalProcess? _process;
    private readonly string _configFile;

    private EmbeddedNginx(string runDir, int port)
    {
        RunDir = runDir;
        Port = port;
        _configFile = Path.Combine(runDir, "nginx.conf");
    }

    public string RunDir { get; }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Every request nginx answered, one line each (<c>nginx/embedded.conf.template</c>'s <c>dlopbox</c> format).</summary>
    public string AccessLogFile => Path.Combine(RunDir, "access.log");

    /// <summary>
    /// The requests logged so far, in order. nginx writes a line when a request ends (also when the
    /// client went away mid-body), so a line's <see cref="NginxRequest.BytesSent"/> may be short of the file.
    /// </summary>
    public IReadOnlyList<NginxRequest> ReadAccessLog()
    {
        if (!File.Exists(AccessLogFile))
            return [];
        using var stream = new FileStream(AccessLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var requests = new List<NginxRequest>();
        while (reader.ReadLine() is { } line)
        {
            if (NginxRequest.TryParse(line) is { } request)
                requests.Add(request);
        }
        return requests;
    }

    public static bool IsInstalled => File.Exists(Binary);

    public static async Task<EmbeddedNginx> StartAsync(string runDir, string masterDir, bool echo, CancellationToken cancellationToken)
    {
        if (!IsInstalled)
            throw new InvalidOperationException($"{Binary} is missing: install Debian's nginx (or nginx-light) package.");
        runDir = Path.GetFullPath(runDir);
        masterDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(masterDir));
        Directory.CreateDirectory(runDir);
        var nginx = new EmbeddedNginx(runDir, LocalPorts.Free());

        var values = new Dictionary<string, string>
        {
            ["DLOPBOX_NGINX_LISTEN"] = $"127.0.0.1:{nginx.Port}",
            ["DLOPBOX_MASTER_DIR"] = masterDir,
            ["DLOPBOX_RUN_DIR"] = runDir,
            ["DLOPBOX_USER_DIRECTIVE"] = Environment.UserName == "root" ? $"user {OwnerOf(masterDir)};" : "",
        };
        await RenderAsync("templates/dlopbox.conf.template", Path.Combine(runDir, "dlopbox.conf"), values, cancellationToken);
        await RenderAsync("embedded.conf.template", nginx._configFile, values, cancellationToken);

        await nginx.StartAsync(echo, cancellationToken);
        return nginx;
    }

    private async Task StartAsync(bool echo, CancellationToken cancellationToken)
    {
        _process = LocalProcess.Start("nginx", Binary, ["-p", RunDir, "-c", _configFile, "-e", Path.Combine(RunDir, "error.log")],
            new Dictionary<string, string?>(), Path.Combine(RunDir, "nginx.out"), echo);
        await LocalPorts.WaitOpenAsync(Port, TimeSpan.FromSeconds(20), () => !_process.HasExited, cancellationToken);
    }

    /// <summary>Stops nginx (for fault tests); <see cref="RestartAsync"/> brings it back on the same port.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
    }

    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await StopAsync();
        await StartAsync(echo: false, cancellationToken);
    }

    private static async Task RenderAsync(string template, string target, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(RepoLayout.NginxDir, template), cancellationToken);
        await File.WriteAllTextAsync(target, TemplateRenderer.Render(text, values), cancellationToken);
    }

    private static string OwnerOf(string path)
    {
        // Workers must read the master dir; as root they run as its owner rather than as 'nobody'.
        var owner = RunAndRead("stat", "-c", "%U", path).Trim();
        return owner.Length == 0 || owner == "UNKNOWN" ? "root" : owner;
    }

    private static string RunAndRead(string file, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
