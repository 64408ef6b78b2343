using Autopack.Hosting;
using Autopack.OutboxWorker.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddAutopackPlatform("outbox_worker");
builder.AddOutboxWorkerServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAutopackEndpoints();
app.Run();
