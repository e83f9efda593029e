namespace Runner.Core.Agent.Loop;

/// <summary>Which budget ended the tool loop early, if one did.</summary>
internal enum BudgetStop
{
    None,

    /// <summary><c>AGENT_MAX_STEPS</c>: the last call was made without tools so the model had to answer.</summary>
    Steps,

    /// <summary><c>AGENT_MAX_TOKENS</c>: the next call would not have fit, or only a last one without tools did.</summary>
    Tokens,
}
