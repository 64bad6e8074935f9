namespace Dlopbox.Embedded;

/// <summary>
/// One dlopbox service (a built project) run as its own process with <c>dotnet</c>, configured the way an
/// Aspire AppHost would configure it: environment variables such as <c>ConnectionStrings__rabbit</c>
/// and <c>services__interface__http__0</c>. It can be stopped, killed and started again on the same port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient Health = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _project;
    private readonly string _logFile;
    private readonly bool _echo;
    private LocalProcess? _process;

    public ServiceProcess(string name, string project, int port, IReadOnlyDictionary<string, string?> environment, string logDir, bool echo)
    {
        Name = name;
        _project = project;
        Port = port;
        Environment = new Dictionary<string, string?>(environment)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        _logFile = Path.Combine(logDir, name + ".log");
        _echo = echo;
    }

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string LogFile => _logFile;

    /// <summary>What the process is started with; tests may change it before a restart.</summary>
    public Dictionary<string, string?> Environment { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The OS process id while running (for probes such as <c>/proc/&lt;pid&gt;/status</c>); null when stopped.</summary>
    public int? Pid => _process is { HasExited: false } process ? process.Pid : null;

    /// <summary>How the last run ended (after <see cref="StopAsync"/> or <see cref="KillAsync"/>); 0 is a clean shutdown.</summary>
    public int? LastExitCode { get; private set; }

    /// <summary>How long the last <see cref="StopAsync"/> took from SIGTERM to exit.</summary>
    public TimeSpan? LastStopDuration { get; private set; }

    public void Start()
    {
        if (IsRunning)
            throw new InvalidOperationException($"{Name} is already running.");
        var assembly = RepoLayout.ServiceAssembly(_project);
        // The service's own dir is its content root, so its appsettings.json applies.
        _process = LocalProcess.Start(Name, "dotnet", [assembly, "--urls", Url], Environment, _logFile, _echo, Path.GetDirectoryName(assembly));
    }

    /// <summary>Waits until <c>/health</c> answers 200 (each service reports ready only when it can do its job).</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (_process is null || _process.HasExited)
                throw new InvalidOperationException($"{Name} exited (code {_process?.ExitCode}); see {_logFile}.");
            try
            {
                using var response = await Health.GetAsync(Url + "/health", deadline.Token);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // One probe timed out; the deadline has not.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not healthy within {timeout.TotalSeconds:0} s; see {_logFile}.");
            }
            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not healthy within {timeout.TotalSeconds:0} s; see {_logFile}.");
            }
        }
    }

    /// <summary>SIGTERM with a grace period: the clean shutdown path.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await _process.StopAsync(StopGrace);
        LastStopDuration = clock.Elapsed;
        LastExitCode = _process.ExitCode;
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>Past this a stopping service is killed: its shutdown did not finish or abandon its work in time.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>SIGKILL: the crash path.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
            return;
        _process.KillHard();
        await _process.WaitForExitAsync(CancellationToken.None);
        LastExitCode = _process.ExitCode;
        await _process.DisposeAsync();
        _process = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
