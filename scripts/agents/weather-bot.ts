import * as v from "valibot";
import { defineLLMAgent, tool } from "../../src/llm/index.ts";

const CONDITIONS = ["sunny", "partly cloudy", "overcast", "light rain", "showers", "windy and dry", "foggy in the morning, clear later"] as const;

/** A made-up forecast that is the same for the same place and day: there is no internet here, and it says so. */
export function simulatedForecast(location: string, day = new Date().toISOString().slice(0, 10)): string {
  let h = 2166136261;
  for (const ch of `${location.trim().toLowerCase()}|${day}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const low = 2 + (h % 18);
  const high = low + 3 + ((h >>> 8) % 8);
  const wind = 5 + ((h >>> 16) % 30);
  return `SIMULATED forecast for ${location} on ${day} (not real weather data): ${CONDITIONS[h % CONDITIONS.length]}, ${low}-${high} °C, wind ${wind} km/h.`;
}

export const getWeather = tool({
  name: "get_weather",
  description: "Weather forecast for a location. Simulated: deterministic made-up data, since there is no weather service here.",
  parameters: v.object({ location: v.pipe(v.string(), v.minLength(1, "must name a place"), v.description("city or place, e.g. Paris")) }),
  run: ({ location }) => simulatedForecast(location),
});

export default defineLLMAgent({
  name: "Weather-Bot",
  description: "Weather information agent: forecasts for any place (simulated data in this demo)",
  capabilities: ["weather", "forecast"],
  instructions:
    "You answer questions about the weather. Always call get_weather for the place asked about and give its forecast, saying that it is simulated. If no place is given, ask for one.",
  tools: [getWeather],
});
