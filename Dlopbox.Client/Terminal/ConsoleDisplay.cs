using Spectre.Console;

namespace Dlopbox.Client.Terminal;

/// <summary>How this process shows progress, decided once at start (before the logger takes hold of stdout).</summary>
internal sealed class ConsoleDisplay
{
    private ConsoleDisplay(ProgressDisplay mode, IAnsiConsole? console, TerminalLogRouter? router, TerminalOutput? output = null)
    {
        Mode = mode;
        Console = console;
        Router = router;
        Output = output;
    }

    /// <summary><see cref="ProgressDisplay.Bar"/>, <see cref="ProgressDisplay.Lines"/> or <see cref="ProgressDisplay.None"/>: never Auto.</summary>
    public ProgressDisplay Mode { get; }

    /// <summary>The console the bar draws on (set in bar mode).</summary>
    public IAnsiConsole? Console { get; }

    /// <summary>Keeps log lines above the bar (set in bar mode).</summary>
    public TerminalLogRouter? Router { get; }

    /// <summary>The terminal the bar draws on (set in bar mode).</summary>
    public TerminalOutput? Output { get; }

    /// <summary>
    /// Auto means a bar when stdout is an interactive terminal (not redirected to a file or pipe, as under the
    /// embedded runner, docker or CI, and not TERM=dumb) and plain lines otherwise. A bar installs the log router.
    /// </summary>
    public static ConsoleDisplay Create(ProgressDisplay requested)
    {
        var mode = requested == ProgressDisplay.Auto
            ? (IsInteractiveTerminal() ? ProgressDisplay.Bar : ProgressDisplay.Lines)
            : requested;
        if (mode != ProgressDisplay.Bar)
            return new ConsoleDisplay(mode, null, null);

        var router = TerminalLogRouter.Install();
        var output = new TerminalOutput(router.Stdout);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = output,
        });
        return new ConsoleDisplay(mode, console, router, output);
    }

    internal static bool IsInteractiveTerminal() =>
        !System.Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");

    /// <summary>
    /// The real stdout, which Spectre cannot recognise as a terminal once Console.Out is the router. Its size is read
    /// ahead (<see cref="RefreshSize"/>), never while Spectre renders: on Unix, Console.WindowWidth may lock Console.Out,
    /// which the router holds while it waits for Spectre; asking then would deadlock the log and the bar.
    /// </summary>
    internal sealed class TerminalOutput : IAnsiConsoleOutput
    {
        private volatile int _width = 80;
        private volatile int _height = 24;

        public TerminalOutput(TextWriter writer)
        {
            Writer = writer;
            RefreshSize();
        }

        public TextWriter Writer { get; }

        public bool IsTerminal => true;

        public int Width => _width;

        public int Height => _height;

        public void SetEncoding(System.Text.Encoding encoding)
        {
        }

        /// <summary>Follows a resized terminal; called between frames, holding no lock.</summary>
        public void RefreshSize()
        {
            try
            {
                if (System.Console.WindowWidth is > 0 and var width)
                    _width = width;
                if (System.Console.WindowHeight is > 0 and var height)
                    _height = height;
            }
            catch (IOException)
            {
                // Not a terminal after all: keep the last size.
            }
        }
    }
}
