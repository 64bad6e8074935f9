using Dlopbox.Embedded;

// The embedded default: `dlopbox up` runs everything as local processes (UpCommand);
// `dlopbox events` shows the event log's newest entries (EventsCommand).
try
{
    return args switch
    {
        ["up", .. var rest] => await UpCommand.RunAsync(rest),
        ["events", .. var rest] => await EventsCommand.RunAsync(rest, Console.Out),
        _ => Usage(),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"dlopbox: {ex.Message}");
    Console.Error.WriteLine(UpCommand.Usage);
    Console.Error.WriteLine(EventsCommand.Usage);
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine(UpCommand.Usage);
    Console.Error.WriteLine(EventsCommand.Usage);
    return 2;
}
