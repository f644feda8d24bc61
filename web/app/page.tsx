export default function Home() {
  return <main>trainer2</main>;
}
