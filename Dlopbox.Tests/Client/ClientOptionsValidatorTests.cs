using Dlopbox.Client;

namespace Dlopbox.Tests.Client;

public class ClientOptionsValidatorTests
{
    [Fact]
    public void Accepts_a_state_dir_beside_the_replica()
    {
        var result = new ClientOptionsValidator().Validate(null, new ClientOptions { ReplicaDir = "/srv/replica", StateDir = "/srv/replica-state" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("/srv/replica")]
    [InlineData("/srv/replica/.state")]
    public void Refuses_a_state_dir_inside_the_replica(string stateDir)
    {
        var result = new ClientOptionsValidator().Validate(null, new ClientOptions { ReplicaDir = "/srv/replica", StateDir = stateDir });

        Assert.True(result.Failed);
        Assert.Contains("outside", result.FailureMessage);
    }

    [Fact]
    public void Requires_both_dirs_and_sane_limits()
    {
        var result = new ClientOptionsValidator().Validate(null, new ClientOptions { MaxParallelDownloads = 0, Prefetch = 70000 });

        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
    }
}
