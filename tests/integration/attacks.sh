#!/usr/bin/env bash
# The seal must not be subvertible (issue 17): one case per attack an image
# author, a later layer or a crafted file could try. docs/threat-model.md says
# who is trusted and which check stops what. Each case failed on the code
# before its fix.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo sbverify objcopy python3
B=$BOOTSEAL
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000

# --- 1-3, 5, 12: what the signed command line and signature may say ---------

# --- 4, 6, 7: /boot after the seal, the bootloader, escapes from the tree ---

# --- 8-11: resources ---------------------------------------------------------

# --- 13-15: crash safety and secrets -----------------------------------------

finish
