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

    [Fact]
    public void Drift_repair_is_on_with_a_one_second_settle_time_and_extras_are_not_kept_by_default()
    {
        var defaults = new ClientOptions();
        Assert.True(defaults.WatchReplica);
        Assert.False(defaults.KeepLocalFiles);
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.DriftSettleTime);

        var result = new ClientOptionsValidator().Validate(null, new ClientOptions { ReplicaDir = "/srv/r", StateDir = "/srv/s", DriftSettleTime = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains("DriftSettleTime", result.FailureMessage);
    }
}
