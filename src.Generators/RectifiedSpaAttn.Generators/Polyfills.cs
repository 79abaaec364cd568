// Language features the netstandard2.0 target lacks at run time (records and init-only setters).
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
