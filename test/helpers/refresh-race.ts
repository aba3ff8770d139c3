/**
 * Runs `writers` writers to the end while a refresher calls `refresh` back to back; answers how many refreshes ran.
 * For the noted-rows refreshes (report rows, search rows): what commits while a refresh runs must not be lost.
 */
export async function raceWithRefresher(writers: number, write: (writer: number) => Promise<void>, refresh: () => Promise<unknown>): Promise<number> {
  let writing = true
  let refreshes = 0
  const refresher = async () => {
    while (writing) {
      await refresh()
      refreshes++
    }
  }
  const running = refresher()
  try {
    await Promise.all(Array.from({ length: writers }, (_, w) => write(w)))
  } finally {
    writing = false
    await running
  }
  return refreshes
}
