#include "cli.h"

int main(int argc, char** argv) { return lm::RunCli(argc, argv); }
