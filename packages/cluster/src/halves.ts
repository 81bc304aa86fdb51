// The fp16 conversions of the wire (gradients sent with precision 'fp16'): @recur/protocol holds
// them behind a seam (`halfConversions`) and must not depend on the kernels (protocol ← cluster),
// so the cluster installs the native ones there when it starts a node or a coordinator and the
// thread's kernel backend is native. Both are bit for bit the protocol's JavaScript conversions
// (round to nearest even; NaNs as the protocol writes them), so which one runs changes no byte
// on the wire and no value decoded: only the speed.
import { kernelBackend, nativeHalfConversions } from '@recur/kernels';
import { halfConversions } from '@recur/protocol';

/** The protocol's own conversions, as they were when this module loaded. */
const scripted = { encode: halfConversions.encode, decode: halfConversions.decode };

/**
 * Installs the native half conversions into the protocol's seam when this thread's kernel
 * backend is native (else puts the protocol's own back); returns which ones are in use.
 */
export function installHalfConversions(): 'native' | 'js' {
  const native = kernelBackend().name === 'native' ? nativeHalfConversions() : null;
  halfConversions.encode = native?.encode ?? scripted.encode;
  halfConversions.decode = native?.decode ?? scripted.decode;
  return native === null ? 'js' : 'native';
}
