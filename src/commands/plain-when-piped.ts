/**
 * Help and log text piped to a file or another program must carry no ANSI colour
 * codes. citty decides once, when it is loaded, from NO_COLOR; so this module is
 * imported before citty and sets NO_COLOR when standard output is not a terminal.
 */
if (!process.stdout.isTTY && !process.env.FORCE_COLOR) process.env.NO_COLOR = "1";
