namespace RectifiedSpaAttn.Reference;

/// <summary>A run of consecutive key tokens <c>[Start, Start + Length)</c> that a query row attends to.</summary>
internal readonly record struct KeyRange(int Start, int Length);
