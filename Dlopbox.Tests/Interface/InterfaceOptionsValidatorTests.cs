using Dlopbox.Interface;
using Dlopbox.Interface.Live;

namespace Dlopbox.Tests.Interface;

/// <summary>The Interface's options checks: the limits the DataAnnotations had, each failure naming its key.</summary>
public class InterfaceOptionsValidatorTests
{
    private static InterfaceOptions Valid() => new() { WatcherToken = new string('w', 16) };

    [Fact]
    public void The_defaults_with_a_watcher_token_pass()
    {
        var result = new InterfaceOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Tokens_need_16_characters_and_the_client_token_may_be_unset()
    {
        Assert.Contains("Interface:WatcherToken is required", new InterfaceOptionsValidator().Validate(null, new InterfaceOptions()).FailureMessage);
        Assert.Contains("Interface:WatcherToken must be at least 16", new InterfaceOptionsValidator().Validate(null, new InterfaceOptions { WatcherToken = "short" }).FailureMessage);

        foreach (var ok in new[] { null, "", new string('c', 16) })
            Assert.True(new InterfaceOptionsValidator().Validate(null, Valid().With(o => o.ClientToken = ok)).Succeeded, ok);
        var tooShort = new InterfaceOptionsValidator().Validate(null, Valid().With(o => o.ClientToken = "fifteen-chars.."));
        Assert.Equal(["Interface:ClientToken must be at least 16 characters (or unset)."], tooShort.Failures);
    }

    [Fact]
    public void Every_limit_fails_with_its_key()
    {
        var options = new InterfaceOptions
        {
            WatcherToken = new string('w', 16),
            DataDir = " ",
            StreamName = "",
            StreamMaxAge = "7 days",
            StreamMaxLengthBytes = 0,
            StreamMaxSegmentSizeBytes = 0,
            StreamProbeTimeout = TimeSpan.FromMinutes(11),
            MaxBatchEvents = 1_000_001,
            MaxRequestBodyBytes = 0,
            MaxFileSize = -1,
        };

        var failures = new InterfaceOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(9, failures.Count);
        foreach (var key in new[] { "DataDir", "StreamName", "StreamMaxAge", "StreamMaxLengthBytes", "StreamMaxSegmentSizeBytes", "StreamProbeTimeout", "MaxBatchEvents", "MaxRequestBodyBytes", "MaxFileSize" })
            Assert.Contains(failures, f => f.StartsWith($"Interface:{key} ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("7D", true)]
    [InlineData("12h", true)]
    [InlineData("30m", true)]
    [InlineData("10s", true)]
    [InlineData("1Y", true)]
    [InlineData("7d", false)]
    [InlineData("D", false)]
    [InlineData("7D\n", false)]
    public void The_retention_age_is_in_RabbitMQs_syntax(string age, bool valid) =>
        Assert.Equal(valid, new InterfaceOptionsValidator().Validate(null, Valid().With(o => o.StreamMaxAge = age)).Succeeded);

    [Fact]
    public void The_live_page_defaults_pass_and_its_limits_fail_with_their_keys()
    {
        Assert.True(new LiveOptionsValidator().Validate(null, new LiveOptions()).Succeeded);
        Assert.True(new LiveOptionsValidator().Validate(null, new LiveOptions { FilesUrl = "http://files:8080/files/" }).Succeeded);

        var options = new LiveOptions
        {
            FilesUrl = "files:8080",
            RecentEvents = -1,
            SubscriberBuffer = 15,
            BucketSeconds = 3601,
            ThroughputMinutes = 0,
            StatusInterval = TimeSpan.FromMilliseconds(99),
            MaxClients = 100_001,
            ForgetClientsAfter = TimeSpan.FromDays(366),
        };
        var failures = new LiveOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(8, failures.Count);
        foreach (var key in new[] { "FilesUrl", "RecentEvents", "SubscriberBuffer", "BucketSeconds", "ThroughputMinutes", "StatusInterval", "MaxClients", "ForgetClientsAfter" })
            Assert.Contains(failures, f => f.StartsWith($"Interface:Live:{key} ", StringComparison.Ordinal));
    }
}

internal static class OptionsTestExtensions
{
    public static T With<T>(this T options, Action<T> change)
    {
        change(options);
        return options;
    }
}
