namespace RectifiedSpaAttn.Attention;

/// <summary>The attention computations the device API offers.</summary>
public enum AttentionMethod
{
    /// <summary>Dense attention over every valid key.</summary>
    Dense,
    /// <summary>Plain block-sparse attention over the critical key blocks (and valid text keys), not rectified.</summary>
    BlockSparse,
    /// <summary>Rectified SpaAttn: block-sparse attention with IPAR and GAPR rectification.</summary>
    Rectified,
}
