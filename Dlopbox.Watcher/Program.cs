using Dlopbox.ServiceDefaults;
using Dlopbox.Watcher.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMasterWatcher();
builder.AddEventSender();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
