/** A tool's main (app/tools): its arguments, where it logs its output, where its progress. */
export type ToolMain = (
  argv: readonly string[],
  log: (line: string) => void,
  progress: (line: string) => void,
) => Promise<number>;

/** Runs a tool's main and collects what it logs; its progress is dropped. */
export async function runMain(
  main: ToolMain,
  argv: readonly string[],
): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(
    argv,
    (line) => out.push(line),
    () => {},
  );
  return { code, out };
}
