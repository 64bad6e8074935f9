using Dlopbox.Client.Broker;
using Dlopbox.EventBus;

namespace Dlopbox.Tests.Client;

public class StreamResumePlanTests
{
    private const string Saved = "9b0c2f4e-saved";
    private const string Other = "1d7a8e33-other";

    [Fact]
    public void Same_epoch_resumes_after_the_watermark()
    {
        var plan = StreamResumePlan.Decide(Saved, 5000, new StreamHead(false, Saved, 5200));

        Assert.Equal(new StreamResumePlan(5001, Saved, EpochUnknown: false, IsNewStream: false), plan);
    }

    [Fact]
    public void Another_epoch_is_a_new_stream_followed_from_0()
    {
        var plan = StreamResumePlan.Decide(Saved, 5000, new StreamHead(false, Other, 12));

        Assert.Equal(new StreamResumePlan(0, Other, EpochUnknown: false, IsNewStream: true), plan);
    }

    [Fact]
    public void An_empty_stream_after_applying_something_is_a_new_stream_of_unknown_epoch()
    {
        var plan = StreamResumePlan.Decide(Saved, 5000, StreamHead.Empty);

        Assert.Equal(new StreamResumePlan(0, null, EpochUnknown: true, IsNewStream: true), plan);
    }

    [Fact]
    public void An_empty_stream_after_applying_offset_0_is_a_new_stream()
    {
        Assert.True(StreamResumePlan.Decide(Saved, 0, StreamHead.Empty).IsNewStream);
    }

    [Fact]
    public void An_empty_stream_on_a_fresh_replica_is_followed_from_0_and_its_epoch_learned()
    {
        var plan = StreamResumePlan.Decide(Saved, -1, StreamHead.Empty);

        Assert.Equal(new StreamResumePlan(0, Saved, EpochUnknown: true, IsNewStream: false), plan);
    }

    [Fact]
    public void An_empty_stream_on_a_fresh_replica_without_an_epoch_is_not_new()
    {
        var plan = StreamResumePlan.Decide(null, -1, StreamHead.Empty);

        Assert.Equal(new StreamResumePlan(0, null, EpochUnknown: true, IsNewStream: false), plan);
    }

    [Fact]
    public void A_stream_written_before_epochs_resumes_on_a_state_saved_before_epochs()
    {
        var plan = StreamResumePlan.Decide(null, 5000, new StreamHead(false, null, 5200));

        Assert.Equal(new StreamResumePlan(5001, null, EpochUnknown: false, IsNewStream: false), plan);
    }

    [Fact]
    public void A_state_saved_before_epochs_on_a_stream_with_an_epoch_is_a_new_stream()
    {
        var plan = StreamResumePlan.Decide(null, 5000, new StreamHead(false, Other, 3));

        Assert.Equal(new StreamResumePlan(0, Other, EpochUnknown: false, IsNewStream: true), plan);
    }

    [Fact]
    public void A_saved_epoch_on_a_stream_written_before_epochs_is_a_new_stream()
    {
        var plan = StreamResumePlan.Decide(Saved, 5000, new StreamHead(false, null, 3));

        Assert.Equal(new StreamResumePlan(0, null, EpochUnknown: false, IsNewStream: true), plan);
    }

    [Fact]
    public void Another_epoch_on_a_fresh_replica_is_taken_without_counting_as_new()
    {
        // Nothing was applied from the old stream (a reconcile of an empty snapshot): there is no offset to forget.
        var plan = StreamResumePlan.Decide(Saved, -1, new StreamHead(false, Other, 40));

        Assert.Equal(new StreamResumePlan(0, Other, EpochUnknown: false, IsNewStream: false), plan);
    }

    [Fact]
    public void Epochs_compare_exactly()
    {
        Assert.True(StreamResumePlan.Decide("ABC", 10, new StreamHead(false, "abc", 11)).IsNewStream);
    }
}
