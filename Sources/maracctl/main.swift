import Exchange
print("x")
