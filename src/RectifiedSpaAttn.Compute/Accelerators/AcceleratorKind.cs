namespace RectifiedSpaAttn.Compute;

/// <summary>The backend an accelerator runs on.</summary>
public enum AcceleratorKind
{
    /// <summary>An NVIDIA GPU through the CUDA driver API.</summary>
    Cuda,
    /// <summary>An OpenCL device (any vendor) through the ICD loader.</summary>
    OpenCL,
    /// <summary>The host CPU, running the kernels' CPU form.</summary>
    Cpu,
}
