using Dlopbox.Client.State;

namespace Dlopbox.Tests.Client;

public class AppliedOffsetTrackerTests
{
    [Fact]
    public void Starts_with_nothing_applied()
    {
        var tracker = new AppliedOffsetTracker();

        Assert.Equal(-1, tracker.Watermark);
        Assert.Equal(-1, tracker.LastDispatched);
    }

    [Fact]
    public void Out_of_order_completion_advances_only_the_contiguous_prefix()
    {
        var tracker = new AppliedOffsetTracker();
        tracker.Reset(9);
        foreach (var offset in new long[] { 10, 11, 12, 13 })
            tracker.Begin(offset);

        tracker.Complete(12);
        Assert.Equal(9, tracker.Watermark);
        tracker.Complete(10);
        Assert.Equal(10, tracker.Watermark);
        tracker.Complete(13);
        Assert.Equal(10, tracker.Watermark);
        tracker.Complete(11);
        Assert.Equal(13, tracker.Watermark);
    }

    [Fact]
    public void Gaps_in_offsets_do_not_hold_the_watermark_back()
    {
        var tracker = new AppliedOffsetTracker();
        tracker.Done(0);
        tracker.Begin(5);
        tracker.Done(7);

        Assert.Equal(4, tracker.Watermark);
        tracker.Complete(5);
        Assert.Equal(7, tracker.Watermark);
    }

    [Fact]
    public void Reset_forgets_what_was_in_flight()
    {
        var tracker = new AppliedOffsetTracker();
        tracker.Done(0);
        tracker.Begin(1);
        tracker.Begin(2);

        tracker.Reset(tracker.Watermark);

        Assert.Equal(0, tracker.Watermark);
        Assert.Equal(0, tracker.LastDispatched);
        tracker.Begin(1);
        tracker.Complete(1);
        Assert.Equal(1, tracker.Watermark);
    }

    [Fact]
    public void Offsets_must_be_dispatched_in_order()
    {
        var tracker = new AppliedOffsetTracker();
        tracker.Begin(3);

        Assert.Throws<InvalidOperationException>(() => tracker.Begin(3));
        Assert.Throws<InvalidOperationException>(() => tracker.Begin(2));
    }

    [Fact]
    public async Task Concurrent_completions_end_at_the_last_offset()
    {
        var tracker = new AppliedOffsetTracker();
        for (long offset = 0; offset < 1000; offset++)
            tracker.Begin(offset);

        await Parallel.ForAsync(0L, 1000L, (offset, _) =>
        {
            tracker.Complete(999 - offset);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(999, tracker.Watermark);
    }

    [Fact]
    public void A_retained_offset_waits_for_every_piece()
    {
        var tracker = new AppliedOffsetTracker();
        tracker.Begin(0);
        tracker.Retain(0);
        tracker.Retain(0);

        tracker.Complete(0);
        tracker.Complete(0);
        Assert.Equal(-1, tracker.Watermark);
        tracker.Complete(0);
        Assert.Equal(0, tracker.Watermark);
        Assert.Throws<InvalidOperationException>(() => tracker.Retain(0));
    }
}
