export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`mlpot ${argv.join(' ')}\n`);
  return 0;
}
