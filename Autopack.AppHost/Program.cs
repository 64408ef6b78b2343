using Autopack.AppHost;
using Autopack.AppHost.Hosting;

// The app model (AutopackAppModel) reads like an Aspire AppHost; the verbs run it locally or publish it.
var builder = DistributedApplication.CreateBuilder(args);
AutopackAppModel.Build(builder);
return await AppHostCommand.InvokeAsync(builder);
