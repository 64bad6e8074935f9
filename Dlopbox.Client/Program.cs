using Dlopbox.Client.Cli;

// dlopbox-client [options] | dlopbox-client status [options]; with no options, configuration alone (see ClientCommandLine).
return await ClientCommandLine.InvokeAsync(args);
