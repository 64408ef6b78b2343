// Shell: the OutboxWorker loop is built by its own issue; until then the process serves only its health endpoints.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("outbox_worker");

var app = builder.Build();
app.Logger.LogWarning("Autopack.OutboxWorker: the work loop is not built yet; this process only reports health.");
app.MapDefaultEndpoints();
app.Run();
