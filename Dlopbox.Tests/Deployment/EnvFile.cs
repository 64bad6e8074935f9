namespace Dlopbox.Tests.Deployment;

/// <summary>Settings as a .env file of a test's own (compose's --env-file, docker-cli.sh's DLOPBOX_ENV_FILE), so a
/// user's .env is never read; deleted on dispose.</summary>
internal sealed class EnvFile : IDisposable
{
    public EnvFile(IEnumerable<KeyValuePair<string, string>> settings)
    {
        Path = System.IO.Path.GetTempFileName();
        File.WriteAllLines(Path, settings.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
