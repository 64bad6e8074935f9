using Dlopbox.Embedded;

// The embedded default: `dlopbox up` runs everything as local processes (see UpCommand).
try
{
    return args switch
    {
        ["up", .. var rest] => await UpCommand.RunAsync(rest),
        _ => Usage(),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"dlopbox: {ex.Message}");
    Console.Error.WriteLine(UpCommand.Usage);
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine(UpCommand.Usage);
    return 2;
}
