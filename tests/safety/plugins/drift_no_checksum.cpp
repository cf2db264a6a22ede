// drift.cpp built as a build tool other than the SDK's helper would: without
// LM_SOURCE_CHECKSUM, so its migration carries no checksum.
#undef LM_SOURCE_CHECKSUM
#include "drift.cpp"
