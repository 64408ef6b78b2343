using Autopack.OutboxWorker.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("outbox_worker");
builder.AddOutboxWorkerServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

