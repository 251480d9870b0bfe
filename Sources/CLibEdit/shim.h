// libedit's readline-compatible interface (Debian's libedit-dev), for `ecoledger connect`.
#include <stdio.h>
#include <editline/readline.h>

// libedit's settings are C globals, which Swift 6 does not let code touch directly (they are
// shared mutable state): these set and read them, from the one thread that edits a line.
static inline void ecl_setup(rl_completion_func_t *complete) {
    rl_readline_name = "ecoledger";
    rl_attempted_completion_function = complete;
}
static inline void ecl_completion_done(int append_character) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = append_character;
}
static inline const char *ecl_line_buffer(void) { return rl_line_buffer; }
