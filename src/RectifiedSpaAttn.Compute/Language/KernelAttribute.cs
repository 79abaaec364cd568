namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Marks a <c>static</c> method as a kernel. The source generator compiles it at build time to PTX, OpenCL C
/// and CPU code, and emits a typed launcher. The method body may use only the kernel language: primitive
/// arithmetic, <see cref="ArrayView{T}"/>, the index types (<see cref="Grid"/>, <see cref="Group"/>,
/// <see cref="Warp"/>), <see cref="SharedMemory"/>, the intrinsics, and calls to other static methods that obey
/// the same rules (they are inlined). Anything else is reported as an RSA diagnostic at its source location.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class KernelAttribute : Attribute
{
}

/// <summary>
/// Names the values a specialisation parameter of a kernel is built for: either a generic type parameter
/// (values are <see cref="Type"/>s such as <c>typeof(float)</c>) or a parameter marked <see cref="ConstantAttribute"/>
/// (values are compile-time constants). The generator builds one entry point per combination of all
/// <see cref="SpecializeAttribute"/>s on the kernel; a launch with a combination that was not built fails with
/// an exception that lists the ones that were.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class SpecializeAttribute : Attribute
{
    /// <summary>Builds the kernel for each of <paramref name="values"/> of the parameter <paramref name="parameter"/>.</summary>
    public SpecializeAttribute(string parameter, params object[] values)
    {
        Parameter = parameter;
        Values = values;
    }

    /// <summary>Name of the generic type parameter or <see cref="ConstantAttribute"/> parameter.</summary>
    public string Parameter { get; }

    /// <summary>The values to build.</summary>
    public IReadOnlyList<object> Values { get; }
}

/// <summary>
/// Marks a kernel parameter as a specialisation constant: its value is folded into the generated code
/// (tile sizes, head dims, flags). It is not passed to the device at launch; the launcher uses it to pick the variant.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class ConstantAttribute : Attribute
{
}
