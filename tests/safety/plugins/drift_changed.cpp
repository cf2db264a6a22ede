// Version 20 of drift.cpp, edited after it was applied: the same code, but
// this file's text differs, and so does its checksum.
#define DRIFT_VERSION 20
#include "drift.cpp"
