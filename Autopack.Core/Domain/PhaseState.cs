namespace Autopack.Core.Domain;

public enum PhaseState { Queued, Executing, Gate, CiRunning, Complete, Failed, Skipped }
