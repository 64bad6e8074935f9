using Dlopbox.Interface.Api;
using Dlopbox.Interface.Extensions;
using Dlopbox.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddEventStream();
builder.AddMasterIndex();
builder.AddEventLog();
builder.AddLivePage();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(json =>
    json.SerializerOptions.TypeInfoResolverChain.Insert(0, Dlopbox.Contracts.DlopboxJsonContext.Default));

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStatusPage();
app.MapDefaultEndpoints();
app.MapEventsApi();
app.MapSnapshotApi();
app.MapHistoryApi();
app.MapClientsApi();
app.MapLiveApi();

app.Run();
