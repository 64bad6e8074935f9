using System.Text;

namespace Dlopbox.Client.Terminal;

/// <summary>
/// Stands in for <see cref="Console.Out"/> when the client may draw a live progress bar, so the console logger and the
/// bar do not overwrite each other. Normally it passes every write straight to the real stdout. While a live display
/// runs, it holds the text back until the display takes it (<see cref="TakeHeld"/>) and prints it above the bar: the
/// log keeps scrolling, the bar stays at the bottom. The logger never waits for the display here (the display's own
/// locks are never taken under this one, nor this one under them), so neither can stall the other. Thread-safe.
/// </summary>
internal sealed class TerminalLogRouter(TextWriter stdout) : TextWriter
{
    /// <summary>Held text past this is printed anyway, cut at a line end, so a flood of logs cannot grow it without bound.</summary>
    private const int MaxHeldChars = 1 << 20;

    private readonly Lock _lock = new();
    private readonly StringBuilder _held = new();
    private bool _live;

    /// <summary>The real stdout, for the live display itself.</summary>
    public TextWriter Stdout => stdout;

    public override Encoding Encoding => stdout.Encoding;

    /// <summary>
    /// Makes a router <see cref="Console.Out"/>. Must run before the host builds its logger: the console logger keeps
    /// the writer it finds then.
    /// </summary>
    public static TerminalLogRouter Install()
    {
        var router = new TerminalLogRouter(Console.Out);
        Console.SetOut(router);
        return router;
    }

    /// <summary>From now until <see cref="EndLive"/>, writes are held for the live display.</summary>
    public void BeginLive()
    {
        lock (_lock)
        {
            stdout.Flush();
            _live = true;
        }
    }

    /// <summary>Back to writing straight through; returns what was still held, for the display's last frame.</summary>
    public string EndLive()
    {
        lock (_lock)
        {
            _live = false;
            var rest = _held.ToString();
            _held.Clear();
            return rest;
        }
    }

    /// <summary>The complete lines held so far (the rest stays until its line ends); empty when there are none.</summary>
    public string TakeHeld()
    {
        lock (_lock)
        {
            var end = LastLineEnd();
            if (end == 0)
                return "";
            var lines = _held.ToString(0, end);
            _held.Remove(0, end);
            return lines;
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (_live && _held.Length < MaxHeldChars)
                _held.Append(value);
            else
                stdout.Write(value);
        }
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_lock)
        {
            if (_live && _held.Length < MaxHeldChars)
                _held.Append(buffer);
            else
                stdout.Write(buffer);
        }
    }

    public override void Flush()
    {
        lock (_lock)
        {
            if (!_live)
                stdout.Flush();
        }
    }

    private int LastLineEnd()
    {
        for (var i = _held.Length - 1; i >= 0; i--)
        {
            if (_held[i] == '\n')
                return i + 1;
        }
        return 0;
    }
}
