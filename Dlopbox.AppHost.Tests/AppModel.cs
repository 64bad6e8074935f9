using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// The AppHost's model, built once per test class with Aspire's testing builder and never started: building
/// costs about 10 s, and nothing here needs a container engine. Subclasses pass settings as arguments.
/// </summary>
public abstract class AppModel : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(2);

    // The AppHost creates its host dirs while it builds the model; they go here, not into the repo.
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "dlopbox-apphost-model-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
    private DistributedApplication? _app;

    protected abstract IEnumerable<string> Settings { get; }

    public string DataDir => _dataDir;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("not built");

    public DistributedApplicationModel Model => App.Services.GetRequiredService<DistributedApplicationModel>();

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(BuildTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Dlopbox_AppHost>(
            [.. AppSettingsOverEnvironment(), $"--Dlopbox:DataDir={_dataDir}", .. Settings], cts.Token);
        _app = await builder.BuildAsync(cts.Token);
    }

    /// <summary>
    /// The model under test is the one appsettings.json describes, whatever the machine's environment:
    /// ./dlopbox test exports Dlopbox__Images__* and Dlopbox__EventLog for the tests that start the model,
    /// and the AppHost would read them here too. So each such key is set back to its appsettings.json
    /// value (command-line arguments outrank environment variables; the subclass's settings come later
    /// and outrank these).
    /// </summary>
    private static IEnumerable<string> AppSettingsOverEnvironment()
    {
        var appSettings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Projects.Dlopbox_AppHost.ProjectPath, "appsettings.json"))
            .Build();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("Dlopbox__", StringComparison.Ordinal)).Order())
        {
            var configKey = key.Replace("__", ":", StringComparison.Ordinal);
            if (appSettings[configKey] is { } value)
                yield return $"--{configKey}={value}";
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
    }

    public IResource Resource(string name) =>
        Model.Resources.SingleOrDefault(r => r.Name == name) ?? throw new Xunit.Sdk.XunitException($"no resource {name}; the model has {string.Join(", ", Names)}");

    public IEnumerable<string> Names => Model.Resources.Select(r => r.Name);

    /// <summary>
    /// The environment a resource gets, as the model holds it before anything runs: the environment
    /// callbacks evaluated in run mode, each value as written (a string) or as its manifest expression
    /// (<c>{rabbit.bindings.tcp.port}</c>, <c>{watcher-token.value}</c>), since endpoints and parameter values
    /// are resolved only once the app starts.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(string resource)
    {
        var target = Resource(resource);
        var values = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(App.Services.GetRequiredService<DistributedApplicationExecutionContext>(), target, values);
        foreach (var callback in target.Annotations.OfType<EnvironmentCallbackAnnotation>())
            await callback.Callback(context);
        return values.ToDictionary(kv => kv.Key, kv => Expression(kv.Value));
    }

    private static string Expression(object value) => value switch
    {
        string s => s,
        IManifestExpressionProvider p => p.ValueExpression,
        _ => value.ToString() ?? "",
    };

    public static ContainerImageAnnotation Image(IResource resource) => resource.Annotations.OfType<ContainerImageAnnotation>().Last();
}

/// <summary>The model with appsettings.json as it is.</summary>
public sealed class DefaultAppModel : AppModel
{
    protected override IEnumerable<string> Settings => [];
}

/// <summary>The model with images named by configuration: locally built stand-ins (no registry) and a mirror.</summary>
public sealed class LocalImagesAppModel : AppModel
{
    public const string RabbitImage = "dlopbox-local/rabbitmq:3.10-management";
    public const string NginxImage = "dlopbox-local/nginx:1.22";
    public const string MongoImage = "registry.example:5000/mirror/mongo:8.0.4";

    protected override IEnumerable<string> Settings =>
    [
        $"--Dlopbox:Images:RabbitMQ={RabbitImage}",
        $"--Dlopbox:Images:Nginx={NginxImage}",
        $"--Dlopbox:Images:MongoDB={MongoImage}",
    ];
}

/// <summary>The model with the Interface's SQLite event log: no MongoDB.</summary>
public sealed class SqliteAppModel : AppModel
{
    protected override IEnumerable<string> Settings => ["--Dlopbox:EventLog=Sqlite"];
}
