import { defineLLMAgent } from "../../src/llm/index.ts";

export default defineLLMAgent({
  name: "General-Assistant",
  description: "Multi-purpose assistant that collaborates with other agents",
  capabilities: ["general", "writing", "planning"],
  instructions: [
    "You help with anything general: answering, writing and planning.",
    "For weather, ask the agent with the weather capability instead of guessing.",
    "When told to report or reply to another agent, send it a direct message starting with 'FYI from General-Assistant:'.",
  ].join(" "),
});
